#include "cnetlink.h"
