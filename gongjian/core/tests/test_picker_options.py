"""core.picker.options: the options of a long filter select, drawn in Python."""

from __future__ import annotations

from gongjian.core.picker import options


def test_values_and_labels_are_escaped_and_the_chosen_one_is_selected() -> None:
    html = options([("", "全部"), (7, "淮河社区"), ("a\"b", "<b>粗</b>")], "7")
    assert html == ('<option value="">全部</option><option value="7" selected>淮河社区</option>'
                    '<option value="a&quot;b">&lt;b&gt;粗&lt;/b&gt;</option>')
    assert 'selected' not in options([(1, "x"), (2, "y")], "")  # nothing chosen: nothing selected
    assert options([(1, "x"), (2, "y")], 2).count("selected") == 1
    assert options([], "1") == ""
