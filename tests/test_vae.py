"""The batched VAE ensemble: equivalence to single training, determinism, save/load."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hepsym.errors import LearnError
from hepsym.vae import Ensemble, VAEConfig, member_seeds, train_ensemble

FAST = VAEConfig(hidden=(32, 32), epochs=4, batch_size=64, latent=4)


@pytest.fixture(scope="module")
def square() -> np.ndarray:
    return np.random.default_rng(7).uniform(-10, 10, size=(600, 2))


def _relevance(ens: Ensemble, X: np.ndarray) -> np.ndarray:
    mu, sigma = ens.encode(X)
    return np.sort(mu.std(axis=1) / sigma.mean(axis=1), axis=1)[:, ::-1]


def test_member_seeds_are_independent_of_ensemble_size():
    assert member_seeds(3, 5)[:2] == member_seeds(3, 2)
    assert len(set(member_seeds(0, 20))) == 20
    assert set(member_seeds(0, 5)).isdisjoint(member_seeds(1, 5))


def test_ensemble_member_equals_training_it_alone(square):
    seeds = member_seeds(11, 3)
    together = train_ensemble(square, FAST, seeds, progress=False)
    alone = train_ensemble(square, FAST, seeds[2:], progress=False)
    np.testing.assert_allclose(
        _relevance(together, square)[2], _relevance(alone, square)[0], atol=1e-5
    )
    np.testing.assert_allclose(together.history["recon"][2], alone.history["recon"][0], rtol=1e-5)


def test_same_seed_same_model_other_seed_other_model(square):
    a = train_ensemble(square, FAST, [1, 2], progress=False)
    b = train_ensemble(square, FAST, [1, 2], progress=False)
    c = train_ensemble(square, FAST, [3, 4], progress=False)
    np.testing.assert_array_equal(_relevance(a, square), _relevance(b, square))
    assert not np.allclose(_relevance(a, square), _relevance(c, square))


def test_training_lowers_the_loss_and_restores_threads(square):
    before = torch.get_num_threads()
    ens = train_ensemble(square, FAST, [5, 6], threads=1, progress=False)
    assert torch.get_num_threads() == before
    assert ens.history["recon"].shape == (2, FAST.epochs)
    total = ens.history["recon"] + FAST.beta * ens.history["kl"]
    assert (total[:, -1] < total[:, 0]).all()


def test_encode_shapes_and_positive_widths(square):
    ens = train_ensemble(square, FAST, [1, 2, 3], progress=False)
    mu, sigma = ens.encode(square[:50])
    assert mu.shape == sigma.shape == (3, 50, 4)
    assert (sigma > 0).all()
    with pytest.raises(LearnError, match="expected an"):
        ens.encode(np.zeros((5, 3)))


def test_save_load_round_trip(square, tmp_path):
    ens = train_ensemble(square, VAEConfig(hidden=(8,), epochs=2, batch_size=64, latent=3), [9, 10])
    path = tmp_path / "ens.pt"
    ens.save(path)
    back = Ensemble.load(path)
    assert back.config == ens.config
    assert back.seeds == ens.seeds
    np.testing.assert_array_equal(back.encode(square)[0], ens.encode(square)[0])
    np.testing.assert_array_equal(back.history["kl"], ens.history["kl"])


def test_load_rejects_other_files(tmp_path):
    with pytest.raises(LearnError, match="cannot read"):
        Ensemble.load(tmp_path / "missing.pt")
    torch.save({"something": 1}, tmp_path / "other.pt")
    with pytest.raises(LearnError, match="not a hepsym VAE ensemble"):
        Ensemble.load(tmp_path / "other.pt")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"latent": 0}, "latent size must be >= 1"),
        ({"hidden": (16, 0)}, "hidden layer sizes"),
        ({"epochs": 0}, "epochs"),
        ({"batch_size": 0}, "batch_size"),
        ({"beta": -1.0}, "beta"),
        ({"lr": 0.0}, "lr"),
        ({"activation": "sigmoid"}, "activation"),
    ],
)
def test_bad_config(kwargs, match):
    with pytest.raises(LearnError, match=match):
        VAEConfig(**kwargs)


def test_too_few_events_and_no_members(square):
    with pytest.raises(LearnError, match="too few for batch_size 64"):
        train_ensemble(square[:100], FAST, [1])
    with pytest.raises(LearnError, match="at least one"):
        train_ensemble(square, FAST, [])


def test_cuda_is_never_required(square):
    if torch.cuda.is_available():
        ens = train_ensemble(square, FAST, [1], device="cuda", progress=False)
        assert ens.encode(square)[0].shape == (1, 600, 4)
    else:
        with pytest.raises(LearnError, match="CUDA is not available"):
            train_ensemble(square, FAST, [1], device="cuda")


def test_progress_bar_counts_member_epochs(square, capsys):
    train_ensemble(square, FAST, [1, 2], progress=True)
    err = capsys.readouterr().err
    assert "VAE ensemble" in err
    assert "0/8" in err  # total = members x epochs


def test_members_over_two_processes_are_the_one_process_ensemble(square):
    """Issue 18: the members split over 2 worker processes, batched in each, joined in
    seed order: the same weights, losses and relevances as one process."""
    from hepsym.vae_pool import train_members

    seeds = member_seeds(3, 5)
    one = train_ensemble(square, FAST, seeds, progress=False)
    two = train_members(square, FAST, seeds, 2)
    assert two.seeds == one.seeds
    for a, b in zip(one.params, two.params, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(one.history["recon"], two.history["recon"], rtol=1e-5)
    np.testing.assert_allclose(_relevance(one, square), _relevance(two, square), atol=1e-5)
    # one worker, or one member: no process is started
    assert train_members(square, FAST, seeds[:1], 2).members == 1


def test_workers_score_their_members_as_one_process_does(square):
    """The relevance and KL sums each worker takes over the events are those of the
    joined ensemble in this process, member by member."""
    from hepsym.relevance import streamed_relevance
    from hepsym.vae_pool import start_training

    seeds = member_seeds(4, 5)
    trained = start_training(square, FAST, seeds, 2, score=square).result()
    relevance, kl = streamed_relevance(trained.model.posterior_sums, square)
    assert trained.relevance is not None
    assert trained.kl is not None
    np.testing.assert_allclose(trained.relevance, relevance, rtol=1e-6)
    np.testing.assert_allclose(trained.kl, kl, rtol=1e-6)
    here = start_training(square, FAST, seeds, 1, score=square).result()
    np.testing.assert_allclose(here.relevance, relevance, rtol=1e-5, atol=1e-6)


def test_a_script_without_a_main_guard_runs_once(tmp_path):
    """Worker processes do not import the caller's __main__: a plain script that trains at
    top level runs once, not once more in every worker (multiprocessing's default)."""
    import subprocess
    import sys

    script = tmp_path / "plain.py"
    script.write_text(
        "import numpy as np\n"
        "from hepsym.vae import VAEConfig\n"
        "from hepsym.vae_pool import train_members\n"
        "print('started', flush=True)\n"
        "X = np.random.default_rng(0).uniform(size=(400, 2))\n"
        "cfg = VAEConfig(hidden=(8,), epochs=1, batch_size=64, latent=2)\n"
        "print('members', train_members(X, cfg, [1, 2, 3, 4], 2).members, flush=True)\n"
    )
    run = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, check=False
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split("\n").count("started") == 1
    assert "members 4" in run.stdout


@pytest.mark.parametrize("fused", [True, False])
def test_flat_adam_is_torch_adam(monkeypatch, fused):
    """hepsym's Adam on the flat buffer takes torch's steps (same betas, eps, bias
    correction), to float32 rounding: torch's fused kernel where it runs, else six
    elementwise operations."""
    import torch

    import hepsym.vae
    from hepsym.vae import _Adam

    if fused:
        assert hepsym.vae._fused_adam_works(torch.device("cpu"))  # torch 2.13: it runs
    else:
        monkeypatch.setattr(hepsym.vae, "_fused_adam_works", lambda device: False)

    gen = torch.Generator().manual_seed(0)
    start = torch.randn(300, generator=gen)
    grads = [torch.randn(300, generator=gen) for _ in range(50)]
    ours = start.clone().requires_grad_()
    theirs = start.clone().requires_grad_()
    mine, reference = _Adam(ours, 1e-2), torch.optim.Adam([theirs], lr=1e-2)
    for g in grads:
        ours.grad, theirs.grad = g.clone(), g.clone()
        mine.step()
        reference.step()
    assert ours.grad is None  # cleared for the next backward
    torch.testing.assert_close(ours.detach(), theirs.detach(), rtol=1e-5, atol=1e-6)
    assert not torch.equal(ours.detach(), start)
