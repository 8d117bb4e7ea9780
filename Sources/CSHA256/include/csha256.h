#ifndef PUENTE_CSHA256_H
#define PUENTE_CSHA256_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this processor has the SHA extensions (x86-64 SHA-NI with SSSE3 and SSE4.1).
int puente_sha256_accelerated(void);

/// Compresses `blocks` 64-byte blocks of `data` into `state` with the SHA instructions.
/// Call only when `puente_sha256_accelerated()` said 1.
void puente_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

/// Compresses `blocks` 64-byte blocks with the portable rounds (any processor).
void puente_sha256_blocks_portable(uint32_t state[8], const uint8_t *data, size_t blocks);

#endif
