"""Fitting the attribute directions (issue #14 point 3) on small synthetic codes whose attributes are known: the
logistic normal finds a separable attribute's true axis, the conditional direction keeps the other attribute's
classifier score, stratifying removes a confounder that the plain mean difference picks up, and principal
components are named after the image statistic they drive."""

from __future__ import annotations

import torch

from latent_studio.models.vae.directions import (
    DirectionSet,
    build_directions,
    conditional,
    image_statistics,
    logistic_normal,
    mean_difference,
    pca_label,
    stratified_difference,
)


def _cos(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(a.double() @ b.double() / (a.double().norm() * b.double().norm()))


def test_logistic_normal_aligns_with_the_true_axis_where_the_mean_difference_does_not():
    g = torch.Generator().manual_seed(0)
    n, d = 600, 16
    scale = torch.ones(d)
    scale[1] = 8.0  # a wide nuisance axis, on which the groups differ without separating them
    codes = torch.randn(n, d, generator=g) * scale
    label = torch.rand(n, generator=g) < 0.5
    truth = torch.zeros(d)
    truth[0] = 1.0
    codes[:, 0] += torch.where(label, 1.5, -1.5)
    codes[label, 1] += 3.0
    fitted = logistic_normal(codes, label, ~label)
    assert abs(float(fitted.norm()) - 1) < 1e-5
    assert _cos(fitted, truth) > 0.95  # the boundary's normal is the separating axis
    assert _cos(mean_difference(codes, label, ~label), truth) < 0.8  # the mean difference leans on the wide axis


def test_conditional_direction_keeps_the_other_attribute_score():
    g = torch.Generator().manual_seed(1)
    other = torch.randn(12, generator=g)
    vector = torch.randn(12, generator=g) + 2 * other  # strongly correlated with the other attribute's normal
    out = conditional(vector, other[None])
    assert abs(float(out @ other)) < 1e-5 and abs(float(out.norm()) - 1) < 1e-5
    assert _cos(out, vector) > 0.3  # what is left is the attribute's own part
    two = torch.randn(2, 12, generator=g)
    assert float((two @ conditional(vector, two)).abs().max()) < 1e-5  # orthogonal to the span of both


def test_stratified_difference_cancels_a_confounder():
    g = torch.Generator().manual_seed(2)
    n, d = 4000, 8
    female = torch.rand(n, generator=g) < 0.5
    # young faces are mostly female, old ones mostly male: gender leaks into young - old
    young = torch.where(female, torch.rand(n, generator=g) < 0.8, torch.rand(n, generator=g) < 0.2)
    codes = torch.randn(n, d, generator=g) * 0.5
    codes[:, 0] += young.float()  # the age axis
    codes[:, 1] += 2 * female.float()  # the gender axis
    age_axis = torch.eye(d)[0]
    plain = mean_difference(codes, young, ~young)
    strat = stratified_difference(codes, young, ~young, [female, ~female])
    assert abs(float(plain[1])) > 0.5  # the plain difference mixes in gender
    assert _cos(strat, age_axis) > 0.98 and abs(float(strat[1])) < 0.1


def test_pca_directions_are_named_by_what_they_correlate_with_and_the_names_survive_a_round_trip(tmp_path):
    g = torch.Generator().manual_seed(3)
    n, d = 400, 6
    codes = torch.randn(n, d, generator=g) * torch.tensor([0.3, 0.2, 0.1, 0.1, 0.1, 0.1])
    codes[:, 0] *= 10  # pc1 is axis 0
    age, gender = torch.randint(1, 90, (n,), generator=g), torch.randint(0, 2, (n,), generator=g)
    images = torch.full((n, 3, 16, 16), 128, dtype=torch.uint8)
    level = (128 - 10 * codes[:, 0]).clamp(0, 255).round()  # a higher pc1 score: a darker face
    images[:] = level.to(torch.uint8).view(n, 1, 1, 1)
    stats = image_statistics(images)
    assert torch.allclose(stats["brightness"], level / 255, atol=1e-3) and float(stats["lighting"].abs().max()) < 1e-6
    directions = build_directions(codes, age, gender, pcs=2, images=images)
    pc1 = directions.index("pc1")
    sign = torch.sign(directions.vectors[pc1][0])
    assert directions.label("pc1") == f"pc1 · {'darker' if sign > 0 else 'brighter'}"
    assert abs(directions.facts["pca_correlations"]["pc1"]["brightness"] + float(sign)) < 0.01  # r = ∓1
    assert directions.label("young") == "young" and directions.facts["method"] == "conditional"
    loaded = DirectionSet.load(directions.save(tmp_path / "d.safetensors"))
    assert loaded.label("pc1") == directions.label("pc1")
    assert pca_label("pc3", {"age": 0.05, "lighting": -0.1}) == "pc3 · mixed"
    assert pca_label("pc4", {"age": 0.05, "lighting": -0.4}) == "pc4 · light from the right"
