#ifndef PUENTE_CLIBXML2_SHIM_H
#define PUENTE_CLIBXML2_SHIM_H

#include <libxml/xmlversion.h>
/* Debian's libxml2 is built with ICU, so encoding.h would pull in the system's ICU headers,
   whose `UErrorCode` clashes with Foundation's own ICU module in any Swift module that sees
   both. Puente never touches ICU converters (it passes no encoder and reads only pointers to
   encoding handlers), so the headers are read as if libxml2 had no ICU. */
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlwriter.h>
#include <libxml/xmlschemas.h>
#include <libxml/xmlerror.h>

/// A generic error handler that drops the message. libxml2 prints some errors
/// (`xmlParseChunk: encoder error`) through its generic handler, stderr by default, and
/// Swift cannot write the variadic C function such a handler is.
static inline void puente_xmlDropGenericError(void *context, const char *message, ...) {
    (void)context;
    (void)message;
}

/// Makes libxml2's generic errors on the calling thread go nowhere (the handler is per thread).
static inline void puente_xmlSilenceGenericErrors(void) {
    xmlSetGenericErrorFunc(NULL, puente_xmlDropGenericError);
}

/// `xmlFree` is a global function pointer, which Swift 6 refuses to read from
/// concurrent code; this wrapper gives Swift a plain function to call.
static inline void puente_xmlFree(void *pointer) { xmlFree(pointer); }

#endif
