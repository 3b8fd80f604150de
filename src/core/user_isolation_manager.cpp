#include <pactown/user_isolation_manager.h>
