"""`cnnstudio datasets [--json]`: the dataset ids, whether each works offline, shape and classes."""
from __future__ import annotations

import json
import sys


def add_parser(sub) -> None:
    p = sub.add_parser("datasets", help="list the datasets you can train on",
                       description="List the dataset ids for a project's \"dataset\": {\"id\": ...}, whether "
                       "each is available offline now, its image shape and classes.")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--download", metavar="ID", help="download a torchvision dataset now (needs internet)")
    p.set_defaults(run=run)


def run(args) -> int:
    from ..core.data import DATASETS, data_root

    if args.download:
        return _download(args.download)
    rows = []
    for info in DATASETS.values():
        rows.append({"id": info.id, "name": info.name, "available_offline": info.is_available(),
                     "source": info.source, "shape": info.shape, "classes": info.classes, "help": info.help})
    if args.json:
        print(json.dumps({"data_folder": str(data_root()), "datasets": rows}, indent=2))
        return 0
    print(f"{'id':<14}{'offline':<9}{'shape':<14}{'classes':<44}source")
    for r in rows:
        classes = r["classes"]
        text = f"{len(classes)}: " + ", ".join(classes) if classes else "from the files"
        text = text if len(text) <= 42 else text[:41].rsplit(", ", 1)[0] + ", …"
        shape = "×".join(map(str, r["shape"])) if r["shape"] else "any (resized)"
        offline = "yes" if r["available_offline"] or r["source"] == "your files" else "no"
        print(f"{r['id']:<14}{offline:<9}{shape:<14}{text:<44}{r['source']}")
    print(f"\nDownloads go to {data_root()} (set CNNSTUDIO_DATA to change).")
    return 0


def _download(id_: str) -> int:
    from ..core.data import DATASETS

    downloadable = [d for d, info in DATASETS.items() if info.source == "download"]
    if id_ not in downloadable:
        print(f"cnnstudio datasets: {id_!r} is not a downloadable dataset; choose from {', '.join(downloadable)}.",
              file=sys.stderr)
        return 2
    from ..core.data import load_dataset
    from ..core.data.base import DatasetError
    try:
        ds = load_dataset({"id": id_}, progress=lambda t: print(t, file=sys.stderr))
    except DatasetError as e:
        print(f"cnnstudio datasets: {e}", file=sys.stderr)
        return 3
    print(f"{DATASETS[id_].name}: {len(ds.train) + len(ds.val)} training and {len(ds.test)} test images ready.")
    return 0
