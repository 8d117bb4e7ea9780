#ifndef PUENTE_CDEFLATE_SHIM_H
#define PUENTE_CDEFLATE_SHIM_H

#include <zlib.h>

/// `deflateInit2` is a macro; Swift needs a function. Raw deflate (no zlib header), as ZIP wants.
static inline int puente_deflateInitRaw(z_streamp stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
}

#endif
