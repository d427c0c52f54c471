#include "redislogging_p.h"

namespace SocketIo {
Q_LOGGING_CATEGORY(lcRedis, "socketio.redis", QtWarningMsg)
} // namespace SocketIo
