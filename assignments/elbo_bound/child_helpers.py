"""Grader code that runs in the child, beside the student's module (public, not secret)."""


def repeat(module, name, args, times):
    """Call ``module.<name>(*args)`` ``times`` times in a row and stack the results: the
    random generator moves on between calls, so the draws are independent whatever the
    function does across the rows of a batch."""
    import torch

    func = getattr(module, name)
    outs = [torch.as_tensor(func(*args)).detach().double().cpu() for _ in range(int(times))]
    return torch.stack(outs)
