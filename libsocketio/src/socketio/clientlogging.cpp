#include "clientlogging_p.h"

namespace SocketIo {
Q_LOGGING_CATEGORY(lcClient, "socketio.client", QtWarningMsg)
} // namespace SocketIo
