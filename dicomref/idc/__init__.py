"""A variety sample from NCI Imaging Data Commons: plan it offline from the index, fetch one instance per series.

The index (`idc-index-data`) and the S3 client (`boto3`) are the optional extra `dicomref[idc]`;
only `attribution` is imported by the rest of dicomref, and it needs neither.
"""
