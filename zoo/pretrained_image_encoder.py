"""A keras.applications backbone as an image encoder giving a grid of features."""

import keras
from keras import ops

# Backbone name -> how it wants its pixels. "builtin": the model rescales 0..255 itself
# (MobileNetV3, EfficientNet); "tf": -1..1; "caffe": BGR minus the ImageNet means.
BACKBONES = {
    "MobileNetV3Small": "builtin",
    "MobileNetV3Large": "builtin",
    "EfficientNetB0": "builtin",
    "EfficientNetB1": "builtin",
    "EfficientNetB2": "builtin",
    "EfficientNetB3": "builtin",
    "EfficientNetV2B0": "builtin",
    "MobileNetV2": "tf",
    "ResNet50": "caffe",
    "ResNet50V2": "tf",
}
_CAFFE_MEANS = (103.939, 116.779, 123.68)


@keras.saving.register_keras_serializable(package="seqzoo")
class PretrainedImageEncoder(keras.layers.Layer):
    """A convolutional backbone from `keras.applications` without its classifier:
    images `[batch, height, width, 3]` (0..255) -> `[batch, rows * columns, channels]`,
    its last feature map read row by row.

    The backbone is built with `include_top=False` and loads `weights`: a local weights
    file (`.h5` / `.weights.h5` of the same backbone without top), `"imagenet"` (Keras
    downloads the file once into `~/.keras/models/`) or None (random). With
    `trainable=False` the backbone is frozen and always runs in inference mode (its
    batch-normalisation statistics stay as trained), so its features can be computed
    once per image and cached; `trainable=True` fine-tunes it.

    Args:
        backbone: a name from `BACKBONES`, e.g. `"MobileNetV3Small"`, `"EfficientNetB0"`.
        image_height, image_width: int. Input size the backbone is built for.
        weights: None, `"imagenet"` or a path to a weights file (only read when the layer
            is created; a saved model restores its own weights).
        trainable: bool. Fine-tune the backbone (False: frozen).
        **kwargs: other keyword arguments of `keras.layers.Layer`.

    Examples:

    >>> import numpy as np
    >>> encoder = PretrainedImageEncoder("MobileNetV3Small", 64, 96)
    >>> tuple(encoder(np.zeros((1, 64, 96, 3), "float32")).shape), encoder.grid_shape(64, 96)
    ((1, 6, 576), (2, 3))

    References:
        - [Howard et al., 2019. Searching for MobileNetV3](https://arxiv.org/abs/1905.02244)
        - [Tan and Le, 2019. EfficientNet](https://arxiv.org/abs/1905.11946)
    """

    def __init__(self, backbone="MobileNetV3Small", image_height=224, image_width=224, weights=None,
                 trainable=False, **kwargs):
        super().__init__(trainable=trainable, **kwargs)
        if backbone not in BACKBONES:
            raise ValueError(f"Unknown backbone {backbone!r}; known: {', '.join(BACKBONES)}.")

        # === Layers ===
        constructor = getattr(keras.applications, backbone)
        self.backbone = constructor(
            include_top=False, weights=weights, input_shape=(image_height, image_width, 3)
        )
        self.backbone.trainable = trainable

        # === Config ===
        self.backbone_name = backbone
        self.image_height = image_height
        self.image_width = image_width
        self.weights_source = weights
        self.output_dim = int(self.backbone.output_shape[-1])

    def build(self, images_shape):
        self.built = True

    def grid_shape(self, height=None, width=None):
        """(rows, columns) of the feature grid (the backbone's input size is fixed)."""
        shape = self.backbone.output_shape
        return int(shape[1]), int(shape[2])

    def _preprocess(self, images):
        mode = BACKBONES[self.backbone_name]
        if mode == "tf":
            return images / 127.5 - 1.0
        if mode == "caffe":
            return images[..., ::-1] - ops.convert_to_tensor(_CAFFE_MEANS, images.dtype)
        return images

    def call(self, images, training=None):
        images = self._preprocess(ops.cast(images, "float32"))
        x = self.backbone(images, training=bool(training) and self.trainable)
        shape = ops.shape(x)
        return ops.reshape(x, (shape[0], shape[1] * shape[2], self.output_dim))

    def compute_output_shape(self, images_shape):
        rows, columns = self.grid_shape()
        return (images_shape[0], rows * columns, self.output_dim)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "backbone": self.backbone_name,
                "image_height": self.image_height,
                "image_width": self.image_width,
                "weights": self.weights_source,
                "trainable": self.trainable,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        # A saved model holds the trained weights: never download or read them again.
        config = dict(config, weights=None)
        return cls(**config)
