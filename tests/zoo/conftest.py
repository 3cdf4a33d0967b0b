import keras
import pytest


@pytest.fixture(autouse=True)
def seeded():
    """Every zoo test starts from the same Python, NumPy and Keras seeds."""
    keras.utils.set_random_seed(0)
