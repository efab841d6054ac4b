"""The upload body: what the sender reads block by block is the whole multipart body, of the
length announced, and progress counts every object byte once."""

import os

from builds_client.local_repo import LocalObject
from builds_client.multipart import MultipartBody, batches


def _objects(tmp_path, sizes):
    objects = []
    for n, size in enumerate(sizes):
        path = tmp_path / f"object{n}"
        path.write_bytes(os.urandom(size))
        objects.append(LocalObject(f"{n:064x}.filez", path, size))
    return objects


def test_small_reads_give_the_whole_body_of_the_announced_length(tmp_path):
    objects = _objects(tmp_path, [0, 1, 300_000, 5])
    counted = []
    body = MultipartBody(objects, on_bytes=counted.append)
    blocks = []
    while block := body.read(8192):
        assert len(block) <= 8192
        blocks.append(block)
    data = b"".join(blocks)
    assert len(data) == len(body)
    assert sum(counted) == 300_006
    whole = MultipartBody(objects).read()
    assert data.replace(body.boundary.encode(), b"B") == whole.replace(whole.split(b"\r\n", 1)[0][2:], b"B")
    assert data.endswith(f"--{body.boundary}--\r\n".encode())


def test_batches_are_about_the_limit_and_a_large_object_goes_alone(tmp_path):
    objects = _objects(tmp_path, [3, 3, 3, 10, 1])
    assert [[item.size for item in batch] for batch in batches(objects, 6)] == [[3, 3], [3], [10], [1]]
