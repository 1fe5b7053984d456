// The system libcrypto (OpenSSL 3), for hardware AES: WinZip's little-endian counter mode is
// built from AES-256-ECB over a buffer of counter blocks (ZipArchive/WinZipAES.swift).
#include <openssl/evp.h>
