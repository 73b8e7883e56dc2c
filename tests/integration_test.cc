// Placeholder: the integration suite is being written.
#include <gtest/gtest.h>
