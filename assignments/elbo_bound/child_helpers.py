"""Grader code that runs in the child, beside the student's module (public, not secret)."""


def repeat(module, name, args, times):
    """Call ``module.<name>(*args)`` ``times`` times in a row. The random generator moves on
    between calls, so the estimates are independent whatever the function does across the
    rows of one batch (sharing one draw between rows is allowed). Returns the results stacked
    as float64, ``(times, ...)``, with the first result's dtype and shape."""
    import torch

    func = getattr(module, name)
    outs = [torch.as_tensor(func(*args)) for _ in range(int(times))]
    first = outs[0]
    try:
        stacked = torch.stack([o.detach().double().cpu().reshape(first.shape) for o in outs])
    except RuntimeError:
        stacked = None
    return {"values": stacked, "dtype": str(first.dtype).replace("torch.", ""), "shape": list(first.shape)}
