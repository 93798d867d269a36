#ifndef PROMO_CLIBYAML_SHIM_H
#define PROMO_CLIBYAML_SHIM_H
#include <yaml.h>
#endif
