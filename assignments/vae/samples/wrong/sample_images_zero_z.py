"""Sample submission with a mistake: sample_images_zero_z.

sample_images decodes z = 0 for every image (the prior's mean, not draws from it), through the
decoder module rather than model.decode, so the judge cannot record its z. The rest: a DataLoader,
Adam with amsgrad, LeakyReLU layers of 200, a log-sigma head."""
# expect-fail: 2.11 2.13
# base: correct/dataloader_amsgrad_log_std.py


def sample_images(model, n, device="cpu"):
    with torch.no_grad():  # through the decoder module itself, not model.decode
        return torch.sigmoid(model.decoder(torch.zeros(n, model.z_dim, device=device)))
