"""The Filters panel: clicking a filter shows what its unit looks for."""
from .test_panels import click_image, open_window, settle


def test_clicking_a_filter_shows_its_top_patches_and_activation_maximisation(qtbot, small_run, tmp_path):
    session, state, panels = open_window(qtbot, small_run)
    fp = panels["filters"]
    fp.layer.setCurrentIndex(1)  # c3: 16 filters × 6 input channels, one row each
    settle(qtbot, state)
    m = fp.mosaic
    fp.area.set_zoom(1.0)  # the docks share the window: at fit size a tile is a few pixels
    assert fp.unit_view._img is None
    click_image(qtbot, fp.area.view, m.pad + 1, m.pad + 2 * (m.tile_h + m.pad) + 1)  # third row: filter 2
    qtbot.waitUntil(lambda: fp.unit_caption.text().startswith("c3 channel 2: the 9 test patches"), timeout=30000)
    h, w = fp.unit_view.image_size()
    assert w > 9 * h  # ten pictures side by side
    panels["window"].grab().save(str(tmp_path / "filters.png"))
