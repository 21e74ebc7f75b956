"""The examples in the docstrings run and give what they show."""
import doctest

import pytest

import pyramidkit
import pyramidkit._config
import pyramidkit.blur
import pyramidkit.conv_transpose
import pyramidkit.pool
import pyramidkit.dog
import pyramidkit.pyramid
import pyramidkit.pyramids
import pyramidkit.resample


@pytest.mark.parametrize("module", [pyramidkit.pyramid, pyramidkit.pyramids, pyramidkit.blur, pyramidkit.dog,
                                    pyramidkit.resample, pyramidkit.conv_transpose, pyramidkit.pool,
                                    pyramidkit._config],
                         ids=lambda m: m.__name__)
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


def test_bench_command_quick(capsys):
    from pyramidkit.__main__ import main
    assert main(["bench", "--quick", "--rounds", "1", "--block", "0.001", "--ops", "pyr_up"]) == 0
    out = capsys.readouterr().out
    assert "pyr_up" in out and "of copy bw" in out
