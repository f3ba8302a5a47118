"""`cnnstudio export FILE -o model.py`: the network as a standalone PyTorch source file."""
from __future__ import annotations

import keyword
import sys
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("export", help="write the network as a standalone PyTorch module (.py)",
                       description="Write the project's network as a PyTorch nn.Module source file "
                       "that needs only torch. Its submodule names match CNN Studio's, so weights "
                       "trained here load into it. Exit 1 when the network has errors, 2 on bad input.")
    p.add_argument("file", help="a .cnnproj project file")
    p.add_argument("-o", "--output", required=True, metavar="OUT.py", help="where to write the module")
    p.add_argument("--class-name", default="Net", help="name of the generated class (default Net)")
    p.set_defaults(run=run)


def run(args) -> int:
    from ..core import ProjectError, load_project
    from ..core.files import atomic_write_text

    if not args.class_name.isidentifier() or keyword.iskeyword(args.class_name):
        print(f"cnnstudio export: --class-name {args.class_name!r} is not a valid Python name.", file=sys.stderr)
        return 2
    try:
        project = load_project(args.file)
    except ProjectError as e:
        print(f"cnnstudio export: {e}", file=sys.stderr)
        return 2
    from ..core.compiler import CompileError
    from ..core.export import to_pytorch_source

    try:
        source = to_pytorch_source(project.graph, args.class_name, project.name)
    except CompileError as e:
        print(f"cnnstudio export: cannot export {args.file}: {e}", file=sys.stderr)
        return 1
    out = Path(args.output)
    try:
        atomic_write_text(out, source)
    except OSError as e:
        print(f"cnnstudio export: cannot write {out}: {e.strerror or e}", file=sys.stderr)
        return 2
    print(f"wrote {out} (class {args.class_name})")
    return 0
