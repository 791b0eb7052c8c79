#include <libftdi1/ftdi.h>
