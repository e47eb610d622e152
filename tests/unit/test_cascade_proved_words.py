"""A cascade's line for a good copy found changed since says what that copy's status proved:
never "verified" for one only transfer-checked, nor for one trusted from the ledger
without saying it was an earlier run's read-back."""

from offload.results import DestinationStatus, was_proved


def test_each_good_status_is_worded_as_what_it_proved() -> None:
    assert was_proved(DestinationStatus.VERIFIED) == "was verified"
    assert was_proved(DestinationStatus.VERIFIED_EARLIER) == "was verified by an earlier run"
    assert was_proved(DestinationStatus.TRANSFER_CHECKED) == "was transfer-checked"
