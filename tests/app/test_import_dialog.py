"""The import dialogs in the real window: a CSV table and an image folder become datasets."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from neuroviz.data.png import encode_png

PENGUINISH = "bill,flipper,island,species\n" + "\n".join(
    f"{40 + (k % 7) * 0.5 + (5 if k % 2 else 0)},{180 + k % 11 + (20 if k % 2 else 0)},"
    f"{['Biscoe', 'Dream', 'Torgersen'][k % 3]},{['Adelie', 'Gentoo'][k % 2]}"
    for k in range(60)) + "\n41.0,NA,Dream,Adelie\n"


def click_import(qtbot, dialog):
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)


def test_import_a_table_with_choices(window, qtbot, tmp_path, screenshot):
    path = tmp_path / "birds.csv"
    path.write_text(PENGUINISH)
    dialog = window.data_import.open_table(path)
    qtbot.waitUntil(dialog.isVisible, timeout=60000)
    assert dialog.preview.rowCount() == 8 and dialog.preview.columnCount() == 4
    assert "missing" in dialog.preview.horizontalHeaderItem(1).text()
    assert dialog.target.currentText() == "species"
    assert dialog.task.currentData() == "classification"
    assert dialog.chosen_features() == ["bill", "flipper", "island"]
    assert "flipper: 1" in dialog.missing_label.text()
    dialog.missing.setCurrentIndex(dialog.missing.findData("mean"))
    dialog.train_percent.setValue(75)
    dialog.seed.setValue(4)
    screenshot(dialog, "import_dialog")
    click_import(qtbot, dialog)
    qtbot.waitUntil(lambda: window.state.dataset.name == "imported", timeout=60000)
    ds = window.dataset
    assert ds.feature_names == ["bill", "flipper", "island=Biscoe", "island=Dream",
                                "island=Torgersen"]
    assert ds.class_names == ["Adelie", "Gentoo"]
    assert ds.n_train + ds.n_test == 61
    assert ds.n_train == 23 + 23  # stratified: 75 % of 31 and of 30, halves rounded up
    assert window.state.spec["inputs"] == 5
    assert "Imported table" in window.data_panel.title.text()
    # It trains like any dataset.
    window.play()
    qtbot.waitUntil(lambda: window.latest_snapshot is not None
                    and window.latest_snapshot.epoch >= 3, timeout=60000)
    window.pause()
    qtbot.waitUntil(lambda: not window.is_running, timeout=60000)
    # Saved inside the experiment: opens without the CSV file.
    saved = tmp_path / "birds.json"
    assert window.save_experiment(saved)
    path.unlink()
    before = window.dataset
    window.set_dataset(type(window.state.dataset)())  # back to the circle
    assert window.open_experiment(saved)
    np.testing.assert_array_equal(window.dataset.X_train, before.X_train)


def test_regression_target_and_a_problem_that_changes_nothing(window, qtbot, tmp_path):
    path = tmp_path / "birds.csv"
    path.write_text(PENGUINISH)
    dialog = window.data_import.open_table(path)
    dialog.target.setCurrentText("flipper")
    assert dialog.task.currentData() == "regression"  # inferred again for the new target
    assert "species" in [dialog.features.item(k).data(Qt.ItemDataRole.UserRole)
                         for k in range(dialog.features.count())]
    # No inputs chosen: refused with a message, the dialog stays, nothing changes.
    for name in ("bill", "island", "species"):
        dialog.set_feature_checked(name, False)
    click_import(qtbot, dialog)
    assert dialog.isVisible()
    assert "birds.csv: choose at least one input column" in dialog.message.text()
    assert window.state.dataset.name == "circle"
    dialog.set_feature_checked("bill", True)
    click_import(qtbot, dialog)
    qtbot.waitUntil(lambda: window.state.dataset.name == "imported", timeout=60000)
    assert window.dataset.task == "regression" and window.state.spec["loss"] == "mse"


def test_a_file_that_is_not_text_is_reported(window, qtbot, tmp_path):
    path = tmp_path / "picture.csv"
    path.write_bytes(encode_png(np.zeros((4, 4), np.uint8)))
    assert window.data_import.open_table(path) is None
    assert "picture.csv" in window.data_import.last_problem
    assert "binary" in window.data_import.last_problem
    qtbot.waitUntil(lambda: window.data_import.problem.isVisible(), timeout=60000)
    window.data_import.problem.close()
    assert window.state.dataset.name == "circle"


def test_import_an_image_folder(window, qtbot, tmp_path, screenshot):
    root = tmp_path / "marks"
    rng = np.random.default_rng(0)
    for name, row in (("horizontal", True), ("vertical", False)):
        (root / name).mkdir(parents=True)
        for k in range(6):
            img = np.full((16, 16), 255, np.uint8)
            line = 3 + 2 * k
            if row:
                img[line, :] = 0
            else:
                img[:, line] = 0
            img = np.clip(img.astype(int) - rng.integers(0, 20, img.shape), 0, 255)
            (root / name / f"{k}.png").write_bytes(encode_png(img.astype(np.uint8)))
    dialog = window.data_import.open_image_folder(root)
    assert "horizontal (6)" in dialog.summary.text()
    dialog.size.setCurrentIndex(dialog.size.findData(8))
    click_import(qtbot, dialog)
    qtbot.waitUntil(lambda: window.state.dataset.name == "image_folder", timeout=60000)
    ds = window.dataset
    assert ds.kind == "image" and ds.n_features == 64 and ds.class_names == ["horizontal",
                                                                              "vertical"]
    X = np.vstack([ds.X_train, ds.X_test]).reshape(-1, 8, 8)
    y = np.concatenate([ds.y_train, ds.y_test])
    # A horizontal line makes one row darker than the others; a vertical one a column.
    rows_vary = X.mean(axis=2).std(axis=1) > X.mean(axis=1).std(axis=1)
    np.testing.assert_array_equal(rows_vary, y == 0)
    window.play()
    qtbot.waitUntil(lambda: window.latest_snapshot is not None
                    and window.latest_snapshot.epoch >= 3, timeout=60000)
    window.pause()
    qtbot.waitUntil(lambda: not window.is_running, timeout=60000)
    window.output_view.flush()
    screenshot(window, "image_folder_training")
