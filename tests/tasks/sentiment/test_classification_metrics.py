from seqzoo.tasks.sentiment.metrics import classification_metrics, format_confusion_matrix


def test_metrics_against_hand_counts():
    # true:  a a b b c ; predicted: a b b b a
    metrics = classification_metrics([0, 0, 1, 1, 2], [0, 1, 1, 1, 0], ["a", "b", "c"])
    assert metrics["accuracy"] == 3 / 5
    assert metrics["confusion_matrix"] == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]
    # F1 by hand: a: p=1/2 r=1/2 -> 0.5; b: p=2/3 r=1 -> 0.8; c: 0
    assert abs(metrics["macro_f1"] - (0.5 + 0.8 + 0.0) / 3) < 1e-9
    assert "c" in format_confusion_matrix(metrics["confusion_matrix"], ["a", "b", "c"])
