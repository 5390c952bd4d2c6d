"""Names declared in one cell work in later cells, including as shorthand properties
(a tslab converter bug the convlens kernel works around)."""
from conftest import execute, stdout_of


def test_shorthand_property_names_a_variable_from_an_earlier_cell(kernel):
    reply, _ = execute(kernel, "const image = 5;\nconst title = 'cat';")
    assert reply["status"] == "ok", reply
    reply, outputs = execute(kernel, "const o = { image, title };\nconsole.log(JSON.stringify(o));")
    assert reply["status"] == "ok", reply
    assert stdout_of(outputs).strip() == '{"image":5,"title":"cat"}'
