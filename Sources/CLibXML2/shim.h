#ifndef PUENTE_CLIBXML2_SHIM_H
#define PUENTE_CLIBXML2_SHIM_H

#include <libxml/xmlversion.h>
#include <libxml/parser.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlwriter.h>
#include <libxml/xmlschemas.h>
#include <libxml/xmlerror.h>

/// `xmlFree` is a global function pointer, which Swift 6 refuses to read from
/// concurrent code; this wrapper gives Swift a plain function to call.
static inline void puente_xmlFree(void *pointer) { xmlFree(pointer); }

#endif
