#!/usr/bin/env bash
# Makes the development CA and the localhost certificate that acdhub serves wss:// with when the
# configuration names no certificate of its own. For development and tests only: the CA's private
# key is in this repository, so anyone can sign with it. Never trust this CA on a machine that
# browses the internet, and give production servers a real certificate ([server] tls_certificate
# and tls_private_key).
#
# Usage: certs/make-dev-certs.sh   (rewrites the files next to this script; valid ~10 years)
set -euo pipefail
cd "$(dirname "$0")"

days=3650
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout dev-ca-key.pem -out dev-ca.pem -days "$days" \
    -subj "/O=acdhub development/CN=acdhub development CA (do not trust outside development)" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign"

openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout localhost-key.pem -out localhost.csr \
    -subj "/O=acdhub development/CN=localhost"

cat > localhost.ext <<'EXT'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
EXT
openssl x509 -req -in localhost.csr -CA dev-ca.pem -CAkey dev-ca-key.pem -CAcreateserial \
    -out localhost.pem -days "$days" -extfile localhost.ext
rm -f localhost.csr localhost.ext dev-ca.srl
# PKCS#8, which rustls-pki-types reads as a PrivateKeyDer.
openssl pkcs8 -topk8 -nocrypt -in localhost-key.pem -out localhost-key.pem.tmp
mv localhost-key.pem.tmp localhost-key.pem
echo "wrote dev-ca.pem (trust this in development), localhost.pem and localhost-key.pem"
