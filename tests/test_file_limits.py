"""Nothing a user opens can crash, freeze or corrupt: one test per kind of bad file.

Every file is real, on disk in ``tmp_path``; every rejection must be the module's own error
type and name the file and the field.
"""

from __future__ import annotations

import json
import os
import stat
import time

import numpy as np
import pytest

from neuroviz.cli import NetworkFileError, load_network_file, main
from neuroviz.data import DatasetError, load_csv
from neuroviz.experiment import (
    Experiment,
    ExperimentError,
    LossHistory,
    load_experiment,
    save_experiment,
)
from neuroviz.fileio import atomic_write_text, read_text_limited
from neuroviz.lessons import load_lessons, read_lesson, resolve_resource, text_resources
from tests.lessons.conftest import FIRST_SETTINGS, make_lesson

# -- experiments --------------------------------------------------------------------------------


def saved_experiment(tmp_path, name="x.neuroviz.json") -> tuple[dict, object]:
    path = save_experiment(Experiment(), tmp_path / name)
    return json.loads(path.read_text()), path


def write_raw(path, raw) -> None:
    path.write_text(raw if isinstance(raw, str) else json.dumps(raw))


def reject(path, *parts) -> str:
    with pytest.raises(ExperimentError) as info:
        load_experiment(path)
    message = str(info.value)
    assert message.startswith(f"{path.name}: ")
    for part in parts:
        assert part in message
    return message


def test_deeply_nested_json_is_refused_before_parsing(tmp_path):
    raw, path = saved_experiment(tmp_path)
    text = json.dumps(raw).replace('"options": {}', '"options": ' + "[" * 100_000 + "]" * 100_000)
    write_raw(path, text)
    reject(path, "nested 100002 levels deep")  # the file, dataset, then 100,000


@pytest.mark.parametrize("field,value,words", [
    ("history.train_loss", "9" * 5000, "history.train_loss[0]"),
    ("history.train_loss", "1e999", "history.train_loss[0]"),
    ("history.epochs", "NaN", "history.epochs[0]"),
    ("history.test_loss", "-Infinity", "history.test_loss[0]"),
    ("seed", str(2**64), "seed"),
    ("seed", "1e999", "seed"),
    ("hyperparameters.batch_size", str(2**31), "hyperparameters.batch_size"),
    ("hyperparameters.learning_rate", "Infinity", "hyperparameters.learning_rate"),
    ("dataset.data_seed", str(2**40), "dataset.data_seed"),
    ("epoch", "1" + "0" * 30, "epoch"),
])
def test_numbers_out_of_range_name_the_field(tmp_path, field, value, words):
    raw, path = saved_experiment(tmp_path)
    raw["history"] = {"metric_name": "accuracy", "epochs": [1], "train_loss": [0.5],
                      "test_loss": [0.6], "train_metric": [0.7], "test_metric": [0.8]}
    parent = raw
    *heads, last = field.split(".")
    for head in heads:
        parent = parent[head]
    parent[last] = ["__VALUE__"] if heads == ["history"] else "__VALUE__"
    write_raw(path, json.dumps(raw).replace('"__VALUE__"', value))
    reject(path, words)


def test_history_that_opens_saves_again(tmp_path):
    """NaN in the test columns (no test set) is written as null and survives a round trip."""
    history = LossHistory()
    history.append(1, 0.5, float("nan"), 0.7, float("nan"))
    path = save_experiment(Experiment(history=history), tmp_path / "h.neuroviz.json")
    loaded = load_experiment(path)
    assert np.isnan(loaded.history.test_loss[0])
    save_experiment(loaded, tmp_path / "again.neuroviz.json")
    assert json.loads((tmp_path / "again.neuroviz.json").read_text())["history"]["test_loss"] \
        == [None]


@pytest.mark.parametrize("layers,words", [
    ([4096] * 100, "network.spec.layers: at most 64 layers in all"),
    ([4096] * 3, "network.spec.layers[1]: the network would have more than 1,000,000"),
    ([2] * 5000, "network.spec.layers: at most 64 layers in all"),
    ([5000], "network.spec.layers[0].units: expected a whole number from 1 to 4096"),
])
def test_oversized_networks_are_refused_before_building(tmp_path, layers, words):
    raw, path = saved_experiment(tmp_path)
    spec = raw["network"]["spec"]
    spec["layers"] = [{"type": "dense", "units": u, "activation": "relu"} for u in layers] + \
        [spec["layers"][-1]]
    write_raw(path, raw)
    reject(path, words)


def test_experiment_in_utf16_with_bom_opens(tmp_path):
    _, path = saved_experiment(tmp_path)
    expected = json.loads(path.read_text())
    path.write_bytes(path.read_text().encode("utf-16"))
    assert load_experiment(path).to_dict() == expected


@pytest.mark.parametrize("data,words", [
    (b"\x00\x01\x02binary\xff\xfe", "binary"),
    (b"\xff\xd8\xff\xe0 a jpeg", "not UTF-8 text"),
])
def test_binary_files_are_refused_naming_the_file(tmp_path, data, words):
    path = tmp_path / "bin.neuroviz.json"
    path.write_bytes(data)
    reject(path, words)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_pipe_is_refused_without_blocking(tmp_path):
    path = tmp_path / "pipe.neuroviz.json"
    os.mkfifo(path)
    reject(path, "not a regular file")


def test_a_huge_file_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.neuroviz.json"
    with open(path, "wb") as handle:
        handle.truncate(65 * 1024 * 1024)  # sparse: nothing is written
    reject(path, "too large")


# -- saved networks -----------------------------------------------------------------------------


def saved_network(tmp_path):
    out = tmp_path / "net.json"
    assert main(["train", "--dataset", "circle", "--layers", "3", "--epochs", "2", "--quiet",
                 "--save", str(out)]) == 0
    return json.loads(out.read_text()), out


def reject_network(path, *parts):
    with pytest.raises(NetworkFileError) as info:
        load_network_file(str(path))
    assert str(info.value).startswith(f"{path.name}: ")
    for part in parts:
        assert part in str(info.value)


@pytest.mark.parametrize("encoding", ["utf-32", "utf-16"])
def test_network_in_utf32_or_utf16_opens(tmp_path, encoding):
    raw, path = saved_network(tmp_path)
    path.write_bytes(path.read_text().encode(encoding))
    net = load_network_file(str(path))
    for (w, b), (w0, b0) in zip(net.get_weights(), raw["weights"], strict=True):
        np.testing.assert_array_equal(w, np.array(w0))
        np.testing.assert_array_equal(b, np.array(b0))


@pytest.mark.parametrize("change,words", [
    (lambda raw: raw.update(seed="__1e999__"), "seed"),
    (lambda raw: raw.update(seed=2**64), "seed"),
    (lambda raw: raw["weights"][0][0][0].__setitem__(0, "__1e999__"), "weights[0][0][0][0]"),
    (lambda raw: raw["weights"][0][1].__setitem__(0, 10**40), "weights[0][1][0]"),
    (lambda raw: raw["spec"].update(layers=[{"units": 4096}] * 200), "spec.layers: at most 64"),
    (lambda raw: raw["spec"].update(inputs=json.loads("[" * 40 + "]" * 40)), "nested"),
    (lambda raw: raw["spec"]["layers"][0].update(type=["dense"]), "spec"),
])
def test_bad_network_fields_are_named(tmp_path, change, words):
    raw, path = saved_network(tmp_path)
    change(raw)
    path.write_text(json.dumps(raw).replace('"__1e999__"', "1e999"))
    reject_network(path, words)


def test_binary_network_file_names_the_file(tmp_path):
    path = tmp_path / "garbage.json"
    path.write_bytes(bytes(range(256)) * 4)
    reject_network(path, "binary")


# -- lessons ------------------------------------------------------------------------------------


def lesson_problems(tmp_path, source, name="tiny.md"):
    path = tmp_path / name
    path.write_text(source)
    lesson, problems = read_lesson(path)
    assert lesson is None
    assert all(p.file == str(path) for p in problems)
    return [f"{p.step}:{p.field}:{p.reason}" for p in problems]


def test_deeply_nested_toml_is_a_problem_not_a_crash(tmp_path):
    settings = FIRST_SETTINGS + "\n[extra]\nx = " + "[" * 5000 + "1" + "]" * 5000 + "\n"
    found = lesson_problems(tmp_path, make_lesson(steps=[("A", settings, "T")]))
    assert any(s.startswith("1:settings:") and "nested 5000 levels" in s for s in found)


def test_a_list_as_layer_type_names_the_field(tmp_path):
    settings = FIRST_SETTINGS.replace('{ type = "dense", units = 4',
                                      '{ type = ["dense"], units = 4')
    found = lesson_problems(tmp_path, make_lesson(steps=[("A", settings, "T")]))
    assert any(s.startswith("1:preset.network:") for s in found), found


@pytest.mark.parametrize("old,new,field", [
    ("noise = 0.0", "noise = " + "9" * 400, "1:settings:"),
    ("noise = 0.0", "noise = 99999999999999999999", "1:settings:"),
    ("noise = 0.0", "noise = 1e999", "1:preset.dataset.noise:must be a finite number"),
    ("value = 0.9", "value = " + "9" * 5000, "1:settings:"),
])
def test_huge_numbers_in_lessons_are_problems(tmp_path, old, new, field):
    found = lesson_problems(tmp_path, make_lesson(steps=[("A", FIRST_SETTINGS.replace(old, new),
                                                          "T")]))
    assert any(s.startswith(field) for s in found), found


def test_one_bad_lesson_never_stops_the_others(tmp_path):
    (tmp_path / "a.md").write_text(make_lesson().replace('id = "tiny"', 'id = "good"'))
    bad = FIRST_SETTINGS.replace('type = "dense"', "type = " + "[" * 3000 + "]" * 3000, 1)
    (tmp_path / "b.md").write_text(make_lesson(steps=[("A", bad, "T")]))
    (tmp_path / "c.md").write_bytes(b"\x00\xff" * 100)
    lessons, problems = load_lessons([tmp_path])
    assert [lesson.id for lesson in lessons] == ["good"]
    assert {p.file for p in problems} == {str(tmp_path / "b.md"), str(tmp_path / "c.md")}


def test_lessons_check_prints_problems_not_a_traceback(tmp_path, capsys):
    bad = FIRST_SETTINGS.replace('{ type = "dense", units = 4', '{ type = ["dense"], units = 4')
    (tmp_path / "b.md").write_text(make_lesson(steps=[("A", bad, "T")]))
    assert main(["lessons", "check", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert f"{tmp_path / 'b.md'}: step 1: preset.network:" in out


@pytest.fixture
def lesson_folder(tmp_path):
    folder = tmp_path / "course"
    (folder / "images").mkdir(parents=True)
    (folder / "images" / "ok.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    outside = tmp_path / "secret.png"
    outside.write_bytes(b"\x89PNG\r\n\x1a\n")
    return folder, outside


WHERES = {  # TOML literal strings (three single quotes) hold both kinds of quote
    "title": lambda src, img: src.replace('title = "Tiny"', f"title = '''Tiny {img}'''"),
    "summary": lambda src, img: src.replace('summary = "A tiny', f"summary = '''{img}''' #"),
    "heading": lambda src, img: src.replace("## Solve XOR", f"## Solve XOR {img}"),
    "hints[0]": lambda src, img: src.replace("[preset]", f"hints = ['''{img}''']\n\n[preset]"),
    "text": lambda src, img: src.replace("Press play.", f"Press play. {img}"),
}
FORMS = ["![x]({ref})", '<img src="{ref}">', "<img src={ref}>", "<img src='{ref}' width=3>"]


@pytest.mark.parametrize("where,form", [(w, f) for w in WHERES for f in FORMS]
                         + [("text", "![x][r]\n\n[r]: {ref}"), ("text", "![r]\n\n[R]: <{ref}>"),
                            ("hints[0]", "![x][r]\n[r]: {ref}")])
def test_every_field_refuses_images_outside_the_lesson_folder(lesson_folder, where, form):
    folder, outside = lesson_folder
    src = WHERES[where](make_lesson(), form.format(ref=outside))
    found = lesson_problems(folder, src)
    field = "title" if where == "heading" else where
    step = "None" if where in ("title", "summary") else "1"
    assert any(s.startswith(f"{step}:{field}:image") and "absolute paths" in s for s in found), \
        found


def test_relative_images_in_every_field_are_accepted(lesson_folder):
    folder, _ = lesson_folder
    src = make_lesson()
    for where in WHERES.values():
        src = where(src, "![a](images/ok.png)")
    path = folder / "tiny.md"
    path.write_text(src)
    lesson, problems = read_lesson(path)
    assert problems == [] and lesson is not None
    assert lesson.steps[0].images == ((folder / "images" / "ok.png").resolve(),)
    step = lesson.steps[0]
    assert text_resources([lesson.title, step.title, *step.hints], folder) == \
        {"images/ok.png": (folder / "images" / "ok.png").resolve()}


def test_text_resources_serves_only_what_the_lesson_may_read(lesson_folder):
    folder, outside = lesson_folder
    texts = [f'<img src="{outside}"> ![a](images/ok.png)', "![b](../secret.png)", ""]
    assert text_resources(texts, folder) == {"images/ok.png": (folder / "images/ok.png").resolve()}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_resolve_resource_refuses_pipes_links_out_and_huge_files(lesson_folder):
    folder, outside = lesson_folder
    os.mkfifo(folder / "images" / "pipe.png")
    (folder / "images" / "link.png").symlink_to(outside)
    with open(folder / "images" / "big.png", "wb") as handle:
        handle.truncate(200 * 1024 * 1024)
    assert resolve_resource(folder, "images/ok.png") == (folder / "images" / "ok.png").resolve()
    for ref, words in [("images/pipe.png", "not a regular file"),
                       ("images/link.png", "leaves the lesson's folder"),
                       ("images/big.png", "too large"), ("../secret.png", "leaves"),
                       (str(outside), "absolute paths"), ("file:///etc/x.png", "URLs"),
                       ("images", "not an image file")]:
        with pytest.raises(ValueError, match=words):
            resolve_resource(folder, ref)


# -- CSV ----------------------------------------------------------------------------------------


def test_csv_split_problem_names_the_file(tmp_path):
    path = tmp_path / "fourclasses.csv"
    path.write_text("a,b\n1,w\n2,x\n3,y\n4,z\n")
    with pytest.raises(DatasetError, match=f"^{path}: cannot split"):
        load_csv(path)


def test_csv_with_too_many_columns_is_refused_at_load(tmp_path):
    path = tmp_path / "wide.csv"
    header = ",".join(f"c{i}" for i in range(5002))
    rows = [",".join(str((r * 7 + i) % 5) for i in range(5002)) for r in range(6)]
    path.write_text("\n".join([header, *rows]) + "\n")
    with pytest.raises(DatasetError, match=f"^{path.name}, line 1: 5,002 columns"):
        load_csv(path)


def test_csv_column_that_cannot_be_standardised_is_named(tmp_path):
    path = tmp_path / "far.csv"
    path.write_text("big,small,label\n" + "".join(
        f"{'1e308' if i % 2 else '0'},{i},{'ab'[i % 2]}\n" for i in range(10)))
    with pytest.raises(DatasetError, match=r"column 'big'") as info:
        load_csv(path)
    assert str(path) in str(info.value)


def test_csv_in_utf16_is_read(tmp_path):
    text = "x,y\n" + "".join(f"{i},{i % 2}\n" for i in range(10))
    (tmp_path / "a.csv").write_text(text)
    (tmp_path / "b.csv").write_bytes(text.encode("utf-16"))
    a, b = load_csv(tmp_path / "a.csv"), load_csv(tmp_path / "b.csv")
    np.testing.assert_array_equal(a.X_train, b.X_train)


# -- command line -------------------------------------------------------------------------------


@pytest.mark.parametrize("args,words", [
    (["--epochs=99999999999999999999"], "--epochs"),
    (["--seed", str(2**64)], "--seed"),
    (["--seed", "1" + "0" * 30], "--seed"),
    (["--batch-size", str(2**64)], "--batch-size"),
    (["--batch-size", "1" + "0" * 30], "--batch-size"),
    (["--lr", "nan"], "--lr"),
    (["--layers", "4096,4096,4096"], "--layers"),
    (["--epochs=--"], "--epochs"),
])
def test_out_of_range_arguments_are_one_clear_line(capsys, args, words):
    with pytest.raises(SystemExit) as info:
        code = main(["train", "--quiet", *args])
        raise SystemExit(code)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_divergence_is_reported_and_the_last_finite_weights_saved(tmp_path, capsys):
    out = tmp_path / "diverged.json"
    code = main(["train", "--dataset", "plane", "--layers", "16,16,16,16,16,16",
                 "--activation", "relu", "--optimizer", "sgd", "--lr", "1000", "--epochs", "20",
                 "--quiet", "--save", str(out)])
    captured = capsys.readouterr()
    assert code == 1
    assert "training diverged at epoch" in captured.err
    assert "saved the last finite weights" in captured.out and str(out) in captured.out
    net = load_network_file(str(out))
    assert all(np.all(np.isfinite(w)) and np.all(np.isfinite(b)) for w, b in net.get_weights())
    assert json.loads(out.read_text())["result"]["diverged"] is True


# -- saving -------------------------------------------------------------------------------------


def test_saving_keeps_the_mode_of_an_existing_file(tmp_path):
    path = tmp_path / "shared.json"
    path.write_text("{}")
    os.chmod(path, 0o644)
    atomic_write_text(path, "[1]")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    os.chmod(path, 0o640)
    atomic_write_text(path, "[2]")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640 and path.read_text() == "[2]"


def test_a_new_file_gets_the_permissions_of_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        atomic_write_text(tmp_path / "new.json", "[]")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "new.json").st_mode) == 0o640


def test_saving_through_a_symbolic_link_keeps_the_link(tmp_path):
    target = tmp_path / "real" / "experiment.json"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    atomic_write_text(link, "new")
    assert link.is_symlink() and target.read_text() == "new"
    assert [p.name for p in target.parent.iterdir()] == ["experiment.json"]


def test_stale_temporaries_of_a_killed_save_are_removed(tmp_path):
    path = tmp_path / "x.json"
    stale = tmp_path / ".x.json.abc123_x.tmp"
    fresh = tmp_path / ".x.json.def456.tmp"
    other = tmp_path / ".y.json.abc.tmp"
    for f in (stale, fresh, other):
        f.write_text("partial")
    hour_ago = time.time() - 3600
    for f in (stale, other):
        os.utime(f, (hour_ago, hour_ago))
    atomic_write_text(path, "done")
    assert not stale.exists()
    assert fresh.exists() and other.exists()  # maybe another save in progress; not ours
    assert path.read_text() == "done"


def test_read_text_limited_refuses_a_file_over_the_limit(tmp_path):
    path = tmp_path / "f.txt"
    path.write_text("x" * 101)
    assert read_text_limited(path, 101) == "x" * 101
    with pytest.raises(ValueError, match="too large"):
        read_text_limited(path, 100)


def test_an_oversized_lesson_is_refused_before_it_is_parsed(tmp_path):
    source = make_lesson(steps=[("A", FIRST_SETTINGS, "Press play.\n" + "word " * 300_000)])
    found = lesson_problems(tmp_path, source)
    assert found == [f"None:file:cannot read: is too large ({len(source) / 2**20:.1f} MB; "
                     "the limit is 1.0 MB)"]


@pytest.mark.parametrize("extra,words", [
    ("x = " + "{a = " * 400 + "1" + "}" * 400, "nested 400 levels"),
    (".".join(["k"] * 400) + " = 1", "nested more than 16 levels"),
])
def test_nested_inline_tables_and_dotted_keys_are_problems(tmp_path, extra, words):
    settings = f"{extra}\n" + FIRST_SETTINGS
    found = lesson_problems(tmp_path, make_lesson(steps=[("A", settings, "T")]))
    assert any(s.startswith("1:settings:") and words in s for s in found), found
