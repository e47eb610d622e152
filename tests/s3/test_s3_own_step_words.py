"""A file whose own upload the service refuses is said to have failed at its own step, never
"not completed: another step of its batch failed". moto answers 404 to a key holding a line
break (``%0A``): a card file ``new\\nline.mov`` is refused at its flush. Failed before (QA
hostile62): the check of whether the error names the file compared the name as it is (a
real line break) with the error's words, which name it as the terminal shows it
(``new\\x0aline.mov``), so its own failure was told as another file's."""

from __future__ import annotations

import json

from s3.test_s3_cli import make_card, offload


def test_a_put_refused_for_its_own_key_is_that_files_own_failure(
    s3_server, bucket, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    card = make_card(tmp_path, {"CLIPS/ok.mov": 10, "CLIPS/new\nline.mov": 10})
    url = f"s3://{bucket}/d"
    code, _, err = offload(tmp_path, "--s3-endpoint", s3_server.url, str(card), url)
    assert code == 1, err
    shown = f"{url}/A001/CLIPS/new\\x0aline.mov"
    assert f"ERROR: cannot flush {shown} on destination {url}: " in err, err
    assert "another step of its batch" not in err and "not completed" not in err, err
    (report,) = [json.loads(p.read_text()) for p in (tmp_path / "reports").glob("*.json")]
    (failed,) = [f for f in report["files"] if f["path"] == "CLIPS/new\nline.mov"]
    (result,) = failed["destinations"]
    assert result["status"] == "failed" and "another step" not in result["error"], result
