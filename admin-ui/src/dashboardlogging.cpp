#include "dashboardlogging.h"

namespace SocketIo::Dashboard {
Q_LOGGING_CATEGORY(lcDashboard, "socketio.dashboard", QtWarningMsg)
} // namespace SocketIo::Dashboard
