#ifndef PUENTE_CCRYPT_SHIM_H
#define PUENTE_CCRYPT_SHIM_H
#include <crypt.h>
#endif
