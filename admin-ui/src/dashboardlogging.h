#pragma once

#include <QLoggingCategory>

namespace SocketIo::Dashboard {
/*! Logging category of the dashboard ("socketio.dashboard", warnings only by default). */
Q_DECLARE_LOGGING_CATEGORY(lcDashboard)
} // namespace SocketIo::Dashboard
