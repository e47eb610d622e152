"""S3's limits on multipart uploads and the part checksums offered: what ``offload copy``'s
parser names and checks, apart from the S3 settings (``s3config``) so that a copy with no
``s3://`` destination and no ``--s3-*`` option does not load those (~3 ms of start-up:
docs/performance.md, "Fixed cost: sixth pass")."""

MiB = 1024 * 1024
# S3's limits on multipart uploads.
MIN_PART_SIZE = 5 * MiB
MAX_PART_SIZE = 5 * 1024 * MiB
MAX_PARTS = 10_000

# Part checksums the service checks on arrival: the request parameter and how to compute it.
# CRC32 (zlib, several GB/s) is the default: every service with flexible checksums checks it.
# SHA256 (and SHA1) are stronger and slower; MD5 is the classic Content-MD5 header, for services
# without flexible checksums. CRC32C needs awscrt (``pip install awscrt``).
CHECKSUMS = ("CRC32", "CRC32C", "SHA256", "SHA1", "MD5")
