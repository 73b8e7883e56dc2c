// The live loop end to end (being written).
#include <gtest/gtest.h>
