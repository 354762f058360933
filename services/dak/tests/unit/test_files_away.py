"""put-in-file asks files by RPC first: files being away is a 503 to retry, not a fault."""
import pytest
from nameko.exceptions import RemoteError
from nameko.testing.services import worker_factory

from dak.exceptions import FilesUnavailable
from dak.service import DakService


class FilesAnswering:
    """files' RPC proxy as dak holds it: receipt_destination raises what files raised."""

    def __init__(self, exc_type, message):
        self.error = RemoteError(exc_type, message)

    def receipt_destination(self, file_id):
        raise self.error


def dak_asking(files):
    return worker_factory(DakService, files_rpc=files, config={"FILES_RPC_TIMEOUT_SECONDS": 1})


@pytest.mark.parametrize("exc_type", ["OperationalError", "ContainerBeingKilled"])
def test_files_whose_database_or_process_is_going_is_files_unavailable(exc_type):
    with pytest.raises(FilesUnavailable):
        dak_asking(FilesAnswering(exc_type, "server closed the connection unexpectedly")).ensure_takes_receipt("f1")


def test_any_other_error_of_files_stays_a_fault():
    with pytest.raises(RemoteError):
        dak_asking(FilesAnswering("KeyError", "'head_id'")).ensure_takes_receipt("f1")
