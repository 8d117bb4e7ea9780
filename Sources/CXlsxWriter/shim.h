#ifndef PUENTE_CXLSXWRITER_SHIM_H
#define PUENTE_CXLSXWRITER_SHIM_H

#include <xlsxwriter.h>

#endif
