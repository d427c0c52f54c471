#include "engineclientlogging_p.h"

namespace SocketIo {
Q_LOGGING_CATEGORY(lcEngineClient, "socketio.engine.client", QtWarningMsg)
} // namespace SocketIo
