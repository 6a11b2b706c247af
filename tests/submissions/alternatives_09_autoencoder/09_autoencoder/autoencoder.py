"""09 written in other correct styles."""

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn
from torch.utils.data import DataLoader, Dataset

IMAGE_SHAPE = (8, 8)


def load_digits_data(val_fraction=0.2, seed=42):
    x, _ = load_digits(return_X_y=True)
    x_train, x_val = train_test_split((x / 8 - 1).astype(np.float32), test_size=val_fraction, random_state=seed)
    return torch.from_numpy(x_train), torch.from_numpy(x_val)


class Autoencoder(nn.Module):
    def __init__(self, n_features=64, embedding_dim=8):
        super().__init__()
        widths = [n_features, 48, 24, embedding_dim]
        down, up = [], []
        for a, b in zip(widths, widths[1:]):
            down += [nn.Linear(a, b), nn.ReLU()]
        for a, b in zip(widths[::-1], widths[::-1][1:]):
            up += [nn.Linear(a, b), nn.ReLU()]
        self.encoder = nn.Sequential(*down[:-1])
        self.decoder = nn.Sequential(*up[:-1])

    def forward(self, x):
        return torch.tanh(self.decoder(self.encoder(x)))


class SelfPairs(Dataset):
    def __init__(self, x):
        self.x = x

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.x[i]


def make_loaders(x_train, x_val, batch_size=64, seed=42):
    g = torch.Generator()
    g.manual_seed(seed)
    return (DataLoader(SelfPairs(x_train), batch_size, shuffle=True, generator=g),
            DataLoader(SelfPairs(x_val), batch_size))


def train_autoencoder(model, train_loader, val_loader, n_epochs=20, lr=1e-3):
    device = next(model.parameters()).device
    opt = torch.optim.Adam(model.parameters(), lr)
    history, val_history = [], []
    for epoch in range(n_epochs):
        model.train()
        total, count = 0.0, 0
        for inputs, targets in train_loader:
            inputs, targets = inputs.to(device), targets.to(device)
            loss = F.mse_loss(model(inputs), targets)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item()
            count += 1
        history.append(total / count)
        model.train(False)
        with torch.inference_mode():
            per_batch = []
            for inputs, targets in val_loader:
                errors = ((model(inputs.to(device)) - targets.to(device)) ** 2).mean(dim=1)
                per_batch.append(errors.mean().item())
        val_history.append(sum(per_batch) / len(per_batch))
    return history, val_history


@torch.no_grad()
def embed(model, x):
    model.train(False)
    return model.encoder(x.to(next(model.parameters()).device))


@torch.no_grad()
def reconstruct(model, x):
    model.train(False)
    return model(x.to(next(model.parameters()).device))


def plot_reconstructions(model, x, n=8):
    pictures = torch.cat([x[:n].cpu(), reconstruct(model, x[:n]).cpu()])
    fig = Figure(figsize=(n, 2))
    for i, picture in enumerate(pictures):
        ax = fig.add_subplot(2, n, i + 1)
        ax.imshow(picture.view(8, 8).numpy(), cmap="gray")
        ax.axis("off")
    return fig
