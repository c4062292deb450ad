"""The bench's table: the ratio column's wording."""

from bench.report import _ratio


def test_the_ratio_column_says_which_way_and_whether_it_is_better():
    assert _ratio(29.5, 0.18) == "163.9× lower"
    assert _ratio(52.9, 166.7, higher_is_better=True) == "3.2× higher"
    assert _ratio(37, 82) == "2.2× higher (worse)"
    assert _ratio(100, 102) == "same"
    assert _ratio(None, 1.0) == "-"
    assert _ratio(-1.9, 0.05) == "-"
