#!/bin/sh
# compose.yaml's one-shot after MinIO starts: the documents service's bucket, and a user of its
# own (JALIN_DOCUMENTS_S3_ACCESS_KEY_ID, secret s3_documents_secret_access_key) that may read,
# write and delete objects in that bucket only. Safe to run again (nothing is created twice).
# Runs in the MinIO image, which carries the mc client.
set -eu

secrets_dir="${JALIN_SECRETS_DIR:-/run/secrets}"
endpoint="${MINIO_ENDPOINT:-http://minio:9000}"
bucket="${JALIN_DOCUMENTS_S3_BUCKET:?the documents bucket}"
key_id="${JALIN_DOCUMENTS_S3_ACCESS_KEY_ID:?the documents service's access key id}"
export MC_CONFIG_DIR="${MC_CONFIG_DIR:-/tmp/.mc}"

tries=0
until mc alias set jalin "$endpoint" "$(cat "$secrets_dir/minio_root_user")" "$(cat "$secrets_dir/minio_root_password")" >/dev/null; do
    tries=$((tries + 1))
    if [ "$tries" -ge 60 ]; then
        echo "create-bucket: MinIO at $endpoint did not answer" >&2
        exit 1
    fi
    sleep 1
done

mc mb --ignore-existing "jalin/$bucket"

policy="$MC_CONFIG_DIR/jalin-documents-policy.json"
cat > "$policy" <<JSON
{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow",
     "Action": ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
     "Resource": ["arn:aws:s3:::$bucket"]},
    {"Effect": "Allow",
     "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
     "Resource": ["arn:aws:s3:::$bucket/*"]}
  ]
}
JSON
mc admin policy create jalin jalin-documents "$policy"
mc admin user add jalin "$key_id" "$(cat "$secrets_dir/s3_documents_secret_access_key")"
# Attaching a policy the user already has is refused by MinIO: that refusal is success here.
mc admin policy attach jalin jalin-documents --user "$key_id" 2>/dev/null || \
    mc admin user info jalin "$key_id" | grep -q jalin-documents
echo "create-bucket: bucket $bucket, user $key_id (policy jalin-documents)"
