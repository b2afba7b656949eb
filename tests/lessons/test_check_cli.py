"""`neuroviz lessons check`: check_paths and cli_check, and the README's example lesson."""

from __future__ import annotations

import io
import re

from neuroviz.lessons import check_paths, cli_check, load_lesson
from neuroviz.lessons.runner import run_lesson
from neuroviz.lessons.soundness import check_lesson
from neuroviz.resources import lessons_dir
from tests.lessons.conftest import FIRST_SETTINGS, make_lesson


def run_cli(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = cli_check(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_good_lesson_exits_0(write_lesson):
    path = write_lesson(make_lesson())
    code, out, err = run_cli(str(path))
    assert code == 0 and out == ""
    assert "1 lesson file(s) checked, 0 problem(s)" in err


def test_problems_are_printed_one_per_line_and_exit_1(write_lesson, tmp_path):
    bad = FIRST_SETTINGS.replace("value = 0.9", "value = nan").replace('"adam"', '"lbfgs"')
    write_lesson(make_lesson(steps=[("A", bad, "T")]), "bad.md")
    write_lesson(make_lesson().replace('id = "tiny"', 'id = "other"'), "good.md")
    code, out, _ = run_cli(str(tmp_path))
    assert code == 1
    lines = out.strip().splitlines()
    assert len(lines) == 2
    for line in lines:
        assert re.match(rf"^{re.escape(str(tmp_path / 'bad.md'))}: step 1: [\w.\[\]]+: .+", line)
    assert any("goal.value: must be a finite number" in line for line in lines)


def test_missing_path_and_duplicate_ids(write_lesson, tmp_path):
    write_lesson(make_lesson(), "a.md")
    write_lesson(make_lesson(), "b.md")
    problems = check_paths([tmp_path, tmp_path / "nope.md"])
    assert [(p.field, p.file) for p in problems] == [
        ("file", str(tmp_path / "nope.md")),
        ("id", str(tmp_path / "b.md")),
    ]


def test_bad_usage_exits_2():
    code, _, err = run_cli("--no-such-option")
    assert code == 2 and "usage" in err


def test_help_exits_0():
    assert run_cli("--help")[0] == 0


def test_run_reports_unreachable_goals(write_lesson):
    unreachable = FIRST_SETTINGS.replace("epochs = 60", "epochs = 0")
    path = write_lesson(make_lesson(steps=[("A", unreachable, "T")]))
    assert run_cli(str(path))[0] == 0
    code, out, _ = run_cli("--run", str(path))
    assert code == 1
    assert (": step 1: goal: 'show me' misses the goal on 10 of 10 seeds "
            "(seed 0: Test accuracy") in out


def test_default_is_the_shipped_lessons():
    code, out, err = run_cli()
    assert code == 0, out
    shipped = [p for p in lessons_dir().rglob("*.md") if p.name != "README.md"]
    assert len(shipped) >= 21
    assert f"{len(shipped)} lesson file(s) checked" in err


def test_readme_example_is_a_valid_reachable_lesson(tmp_path):
    readme = (lessons_dir() / "README.md").read_text(encoding="utf-8")
    example = re.search(r"````markdown\n(.*?)\n````", readme, re.S).group(1)
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "xor-network.png").write_bytes(b"\x89PNG")
    path = tmp_path / "example.md"
    path.write_text(example, encoding="utf-8")
    lesson = load_lesson(path)
    assert [s.title for s in lesson.steps] == ["Try without a hidden layer", "Add a hidden layer"]
    assert run_lesson(lesson).ok
    assert check_lesson(lesson).problems == []
