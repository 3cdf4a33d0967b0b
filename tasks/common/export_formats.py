"""The export formats and the model card's default license, TensorFlow-free so that
`seqzoo export --help` answers at once.

Examples:

>>> EXPORT_FORMATS
('savedmodel', 'litert', 'onnx')
"""

EXPORT_FORMATS = ("savedmodel", "litert", "onnx")
DEFAULT_LICENSE = "apache-2.0"  # a Hugging Face Hub license identifier
