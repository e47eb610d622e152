"""The promote step of a replacement (``--reverify`` of a copy of ours found wrong: the new
copy verified at its staging key, then copied server-side over the final key, CopyObject)
whose answer is lost for real: the fault proxy forwards the CopyObject, the server performs
it, and the proxy closes the connection before its answer reaches the client, which sends
the CopyObject again (botocore's retry). The object under the final key is then the card's
file, once (one object, no staging object left), the file verified; the ledger entry records
the ETag of the object really there, so a plain re-run trusts it without a GET, and a
``offload verify`` of the copy root finds it OK."""

from __future__ import annotations

from offload.card import offload
from offload.results import DestinationStatus
from s3.conftest import admin
from s3.test_s3_cli import keys, make_card
from s3.test_s3_replace import SMALL, first_copy, options, result_of, spoil, staging_keys, stored
from s3.test_s3_verify import verify


def test_a_copy_over_the_final_key_whose_answer_is_lost_is_right_once(  # type: ignore[no-untyped-def]
    s3_server, bucket, proxy, tmp_path
) -> None:
    card = make_card(tmp_path)
    url = first_copy(s3_server.url, bucket, card)
    spoil(s3_server.url, bucket, SMALL)
    before = keys(s3_server.url, bucket)
    final = f"/{bucket}/day1/A001/{SMALL}"
    proxy.lose_answer("PUT", final, go_down=False)
    report = offload(card, [url], options=options(proxy.url, reverify=True))
    assert report.exit_code == 0, [r.error for f in report.job.files for r in f.destinations]
    sent = list(zip(proxy.stats.methods, proxy.targets, strict=True))
    copies = [t for m, t in sent if m == "PUT" and t == final]
    assert len(copies) == 2, sent  # the CopyObject whose answer was lost, and its retry
    assert result_of(report, SMALL).status is DestinationStatus.VERIFIED
    assert stored(s3_server.url, bucket, SMALL) == (card / SMALL).read_bytes()
    # Nothing duplicated: the same content keys as before (new ledger objects and an ASC MHL
    # generation besides), no staging object left.
    after = keys(s3_server.url, bucket)
    assert staging_keys(s3_server.url, bucket) == []

    def content(listed: list[str]) -> list[str]:
        return [k for k in listed if "/.offload/" not in k and "/ascmhl/" not in k]

    assert content(after) == content(before), after
    assert not admin(s3_server.url).list_multipart_uploads(Bucket=bucket).get("Uploads")
    # The ledger's ETag is the object's really there: trusted, no GET of it.
    proxy.reset()
    proxy.targets.clear()
    again = offload(card, [url], options=options(proxy.url))
    assert again.exit_code == 0
    assert result_of(again, SMALL).status is DestinationStatus.VERIFIED_EARLIER
    gets = [t for m, t in zip(proxy.stats.methods, proxy.targets, strict=True) if m == "GET"]
    assert not [t for t in gets if SMALL in t], gets
    code, _out, err = verify(tmp_path, s3_server.url, f"{url}/A001")
    assert code == 0, err
