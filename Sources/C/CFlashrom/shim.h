#include <stddef.h>
#include <stdarg.h>
#include <libflashrom.h>
