"""Check neuron-rt-serve with Triton's standard HTTP client (tritonclient[http] from PyPI).

Usage: python3 tritonclient_check.py HOST:PORT MODEL EXPECTED_JSON
EXPECTED_JSON: {"inputs": [[...4 floats...], ...], "probs": [[...], ...]} -- the rows and the
probabilities the model gives for them (computed by the Rust test on the same model).
Exits 0 when metadata, JSON inference and binary inference all match.
"""
import json
import sys

import numpy as np
import tritonclient.http as httpclient


def main():
    url, model, expected = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    x = np.array(expected["inputs"], dtype=np.float32)
    want = np.array(expected["probs"], dtype=np.float32)
    client = httpclient.InferenceServerClient(url=url)
    assert client.is_server_live(), "server live"
    assert client.is_server_ready(), "server ready"
    assert client.is_model_ready(model), "model ready"
    meta = client.get_model_metadata(model)
    assert meta["name"] == model, meta
    (inp,) = meta["inputs"]
    (out,) = meta["outputs"]
    assert inp["datatype"] == "FP32" and inp["shape"] == [-1, x.shape[1]], inp
    assert out["datatype"] == "FP32" and out["shape"] == [-1, want.shape[1]], out
    config = client.get_model_config(model)
    assert config["max_batch_size"] >= x.shape[0], config
    server = client.get_server_metadata()
    assert "binary_tensor_data" in server["extensions"], server

    for binary in (False, True):
        i = httpclient.InferInput(inp["name"], list(x.shape), "FP32")
        i.set_data_from_numpy(x, binary_data=binary)
        o = httpclient.InferRequestedOutput(out["name"], binary_data=binary)
        result = client.infer(model, inputs=[i], outputs=[o], request_id="tc-%d" % binary)
        got = result.as_numpy(out["name"])
        assert got is not None, "output present (binary=%s)" % binary
        assert got.shape == want.shape, (got.shape, want.shape)
        assert np.allclose(got, want, rtol=1e-5, atol=1e-6), (binary, got, want)
        assert result.get_response()["id"] == "tc-%d" % binary
        print("tritonclient: %s inference matches (%s)" % ("binary" if binary else "JSON", got.shape))

    # A bad request comes back as an InferenceServerException with the server's message.
    bad = httpclient.InferInput(inp["name"], [1, x.shape[1] + 1], "FP32")
    bad.set_data_from_numpy(np.zeros((1, x.shape[1] + 1), dtype=np.float32))
    try:
        client.infer(model, inputs=[bad])
        raise AssertionError("a wrong shape must fail")
    except httpclient.InferenceServerException as e:
        assert "expected" in str(e), str(e)
        print("tritonclient: wrong shape rejected:", e.message())
    print("tritonclient check passed")


if __name__ == "__main__":
    main()
