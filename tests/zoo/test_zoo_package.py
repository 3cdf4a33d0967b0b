"""The zoo package as a whole: exports, registration, docstrings, import rules."""

import ast
import doctest
import importlib
import inspect
import pathlib
import re

import keras
import pytest

import seqzoo.zoo

ZOO_DIRECTORY = pathlib.Path(seqzoo.zoo.__file__).parent
ALL_MODULES = sorted(path.stem for path in ZOO_DIRECTORY.glob("*.py"))
PUBLIC_CLASSES = [getattr(seqzoo.zoo, name) for name in seqzoo.zoo.__all__]
PUBLIC_MODULES = sorted({cls.__module__ for cls in PUBLIC_CLASSES})
# Classes built on a paper; the others get References only where one applies.
WITH_PAPERS = {
    "AttentionPooling": ["1703.03130"],
    "ElmanCell": ["10.1207/s15516709cog1402_1"],
    "IRNNCell": ["1504.00941"],
    "RecurrentEncoder": ["1504.00941", "10.1162/neco.1997.9.8.1735", "1406.1078"],
    "SequenceClassifier": ["1703.03130"],
    "TransformerEncoder": ["1706.03762"],
    "TransformerEncoderBlock": ["1706.03762"],
    "RecurrentDecoder": ["1308.0850"],
    "TransformerDecoder": ["1706.03762"],
    "TransformerDecoderBlock": ["1706.03762"],
    "LanguageModel": ["1409.2329"],
    "BahdanauAttention": ["1409.0473"],
    "LuongAttention": ["1508.04025"],
    "AttentionDecoder": ["1409.0473", "1508.04025"],
    "EncoderDecoderModel": ["1409.3215", "1409.0473", "1706.03762"],
    "SmallCNNEncoder": ["1502.03044"],
    "ImageCaptioner": ["1411.4555", "1502.03044", "1706.03762"],
}


def snake_case(class_name):
    # Acronyms keep their capitals in class names: IRNNCell -> irnn_cell.
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", class_name).lower()


@pytest.mark.parametrize("cls", PUBLIC_CLASSES, ids=lambda cls: cls.__name__)
def test_each_public_class_lives_in_a_module_named_after_it(cls):
    assert cls.__module__ == f"seqzoo.zoo.{snake_case(cls.__name__)}"


@pytest.mark.parametrize("cls", PUBLIC_CLASSES, ids=lambda cls: cls.__name__)
def test_registered_for_keras_serialization(cls):
    assert keras.saving.get_registered_name(cls) == f"seqzoo>{cls.__name__}"
    assert keras.saving.get_registered_object(f"seqzoo>{cls.__name__}") is cls


@pytest.mark.parametrize("cls", PUBLIC_CLASSES, ids=lambda cls: cls.__name__)
def test_docstring_has_args_examples_and_references(cls):
    docstring = inspect.getdoc(cls)
    assert "Args:" in docstring and "Examples:" in docstring and ">>> " in docstring
    for reference in WITH_PAPERS.get(cls.__name__, []):
        assert "References:" in docstring and reference in docstring


# Helper modules (and the modules of shared, unexported base classes) with examples of
# their own.
HELPER_MODULES_WITH_EXAMPLES = [
    "seqzoo.zoo.attention_readout",
    "seqzoo.zoo.cell_registry",
    "seqzoo.zoo.recurrent_token_layer",
    "seqzoo.zoo.transformer_block",
    "seqzoo.zoo.transformer_stack",
]


@pytest.mark.parametrize("module_name", PUBLIC_MODULES + HELPER_MODULES_WITH_EXAMPLES)
def test_docstring_examples_run(module_name):
    module = importlib.import_module(module_name)
    result = doctest.testmod(
        module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize("module_name", ALL_MODULES)
def test_zoo_imports_neither_data_nor_tasks(module_name):
    tree = ast.parse((ZOO_DIRECTORY / f"{module_name}.py").read_text())
    imported = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            imported.append(node.module or "")
    forbidden = [
        name for name in imported
        if name.split(".")[:2] in (["seqzoo", "data"], ["seqzoo", "tasks"])
        or name.split(".")[0] in ("data", "tasks")
    ]
    assert forbidden == []


INSTANCES = {
    "ElmanCell": lambda: seqzoo.zoo.ElmanCell(2),
    "IRNNCell": lambda: seqzoo.zoo.IRNNCell(2),
    "TokenEmbedding": lambda: seqzoo.zoo.TokenEmbedding(10, 2),
    "RecurrentEncoder": lambda: seqzoo.zoo.RecurrentEncoder(10),
    "PositionEmbedding": lambda: seqzoo.zoo.PositionEmbedding(4),
    "TransformerEncoderBlock": lambda: seqzoo.zoo.TransformerEncoderBlock(1, 2),
    "TransformerEncoder": lambda: seqzoo.zoo.TransformerEncoder(10),
    "AttentionPooling": lambda: seqzoo.zoo.AttentionPooling(2),
    "MaskedMeanPooling": lambda: seqzoo.zoo.MaskedMeanPooling(),
    "RecurrentDecoder": lambda: seqzoo.zoo.RecurrentDecoder(10),
    "TransformerDecoder": lambda: seqzoo.zoo.TransformerDecoder(10),
    "TransformerDecoderBlock": lambda: seqzoo.zoo.TransformerDecoderBlock(1, 2),
    "LanguageModel": lambda: seqzoo.zoo.LanguageModel(seqzoo.zoo.RecurrentDecoder(10, 2, units=2)),
    "BahdanauAttention": lambda: seqzoo.zoo.BahdanauAttention(2),
    "LuongAttention": lambda: seqzoo.zoo.LuongAttention("dot"),
    "AttentionDecoder": lambda: seqzoo.zoo.AttentionDecoder(10, 2, units=2),
    "SmallCNNEncoder": lambda: seqzoo.zoo.SmallCNNEncoder((2,)),
    "PretrainedImageEncoder": lambda: seqzoo.zoo.PretrainedImageEncoder("MobileNetV3Small", 32, 32),
    "SequenceClassifier": lambda: seqzoo.zoo.SequenceClassifier(
        seqzoo.zoo.RecurrentEncoder(10, 2, units=2), num_classes=2
    ),
}


@pytest.mark.parametrize("class_name", INSTANCES)
def test_every_constructor_argument_is_returned_by_get_config(class_name):
    instance = INSTANCES[class_name]()
    parameters = [
        name for name, parameter in inspect.signature(type(instance).__init__).parameters.items()
        if name != "self" and parameter.kind is not parameter.VAR_KEYWORD
    ]
    config = instance.get_config()
    assert set(parameters) <= set(config)
    for name in parameters:
        # Plain values come back as given; objects come back serialized.
        value = getattr(instance, name, None)
        if isinstance(value, (int, float, str, bool, type(None))):
            assert config[name] == value, name
