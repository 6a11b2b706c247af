"""Ungraded cells that use the student's functions to show what they do (figures included), per exercise."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Demo:
    """A markdown cell and a code cell placed right after the answer cell of ``after``."""

    after: str
    markdown: str
    code: str


DEMOS: dict[str, list[Demo]] = {
    "07_iris": [Demo(
        after="plot_losses",
        markdown=(
            "### Putting it together\n\n"
            "Train the classifier for 3000 epochs with validation after every epoch, print the validation "
            "accuracy and plot both loss curves. With one torch thread this takes about 15 seconds on a CPU."
        ),
        code=(
            "x_train, y_train, x_val, y_val = load_iris_data()\n"
            "torch.manual_seed(42)\n"
            "model = IrisClassifier()\n"
            "losses, val_losses = train(model, x_train, y_train, n_epochs=3000, lr=1e-4, x_val=x_val, y_val=y_val)\n"
            'print(f"validation accuracy: {accuracy(model, x_val, y_val):.2f}")\n'
            "plot_losses(losses, val_losses)"
        ),
    )],
    "08_iris_loaders": [Demo(
        after="show_batch",
        markdown="### One batch\n\nDraw the first batch of the shuffled training loader, coloured by species.",
        code="train_loader, val_loader = make_iris_loaders(batch_size=16)\nshow_batch(train_loader)",
    )],
}
