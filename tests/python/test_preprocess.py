"""inr.preprocess(): the same bytes as `inr preprocess -o x.npy`, from a path, bytes or a uint8 array."""
import numpy as np
import pytest

import inr


def cli_tensor(cli, tmp_path, image, *flags):
    out = tmp_path / "x.npy"
    cli("preprocess", "-i", image, "-o", out, *flags)
    return np.load(out)


@pytest.mark.parametrize("image", ["dog.jpg", "cat.png"])
def test_every_preset_equals_the_cli(data_dir, cli, tmp_path, image):
    path = data_dir / "images" / image
    assert len(inr.presets) >= 6
    for preset in inr.presets:
        expected = cli_tensor(cli, tmp_path, path, "-p", preset)
        got = inr.preprocess(path, preset=preset)
        assert got.dtype == expected.dtype and got.shape == expected.shape, preset
        assert got.tobytes() == expected.tobytes(), preset


def test_overrides_equal_the_cli_flags(data_dir, cli, tmp_path):
    path = data_dir / "images" / "dog.jpg"
    cases = [
        (dict(resize=(320, 240), crop=200, mean=0.5, std=[0.2, 0.3, 0.4], bgr=True, layout="nhwc"),
         ["--resize", "320x240", "--crop", "200", "--mean", "0.5", "--std", "0.2,0.3,0.4", "--bgr", "--layout", "nhwc"]),
        (dict(resize=300, crop=(224, 200), interp="cv_linear"),
         ["--resize", "300", "--crop", "224x200", "--interp", "cv_linear"]),
        (dict(resize="none", crop="none", bgr=False), ["--resize", "none", "--crop", "none", "--rgb"]),
    ]
    for kwargs, flags in cases:
        expected = cli_tensor(cli, tmp_path, path, "-p", "caffe", *flags)
        got = inr.preprocess(str(path), "caffe", **kwargs)
        assert got.shape == expected.shape and got.tobytes() == expected.tobytes(), kwargs
    assert inr.preprocess(path, resize=320, crop=300).shape == (1, 3, 300, 300)
    # The CLI's own spellings are accepted too.
    assert inr.preprocess(path, resize="320x240", crop="200").tobytes() == \
        inr.preprocess(path, resize=(320, 240), crop=200).tobytes()


def test_bytes_and_arrays_equal_the_path(data_dir):
    path = data_dir / "images" / "grace_hopper.jpg"
    expected = inr.preprocess(path)
    assert expected.shape == (1, 3, 224, 224) and expected.dtype == np.float32
    raw = path.read_bytes()
    for source in (raw, bytearray(raw), memoryview(raw), np.frombuffer(raw, np.uint8)):
        assert inr.preprocess(source).tobytes() == expected.tobytes(), type(source)


def test_errors(data_dir, cli, tmp_path):
    missing = tmp_path / "missing.jpg"
    with pytest.raises(inr.InrError) as e:
        inr.preprocess(missing)
    r = cli("preprocess", "-i", missing, "-o", tmp_path / "x.npy", check=False)
    assert r.returncode == 1 and r.stderr == f"inr: error: {e.value}\n"
    with pytest.raises(inr.InrError, match="<memory>"):
        inr.preprocess(b"\xff\xd8\xff truncated jpeg")
    with pytest.raises(inr.InrError, match="preset"):
        inr.preprocess(data_dir / "images" / "dog.jpg", preset="imagenet")
    with pytest.raises(inr.InrError, match="1-D C-contiguous uint8 array"):
        inr.preprocess(np.zeros((224, 224, 3), np.uint8))
    with pytest.raises(inr.InrError, match="layout: 'chw' is not nchw or nhwc"):
        inr.preprocess(data_dir / "images" / "dog.jpg", layout="chw")
    with pytest.raises(inr.InrError, match="resize: '0' is not a positive integer"):
        inr.preprocess(data_dir / "images" / "dog.jpg", resize=0)
    with pytest.raises(TypeError, match="unexpected keyword argument 'size'"):
        inr.preprocess(data_dir / "images" / "dog.jpg", size=224)
    with pytest.raises(TypeError):
        inr.preprocess(42)
