"""Adapters over AWS through boto3: the job queues on SQS (with dead-letter queues) and the PDFs in
S3 with SigV4 pre-signed download links. Any S3- and SQS-compatible endpoint works (moto's server
in the tests)."""
