#include "engineoptions.h"

namespace SocketIo {

QString engineErrorMessage(EngineError code)
{
    switch (code) {
    case EngineError::UnknownTransport:
        return QStringLiteral("Transport unknown");
    case EngineError::UnknownSid:
        return QStringLiteral("Session ID unknown");
    case EngineError::BadHandshakeMethod:
        return QStringLiteral("Bad handshake method");
    case EngineError::BadRequest:
        return QStringLiteral("Bad request");
    case EngineError::Forbidden:
        return QStringLiteral("Forbidden");
    case EngineError::UnsupportedProtocolVersion:
        return QStringLiteral("Unsupported protocol version");
    }
    return QStringLiteral("Bad request");
}

QByteArray EngineRequest::header(QByteArrayView lowerName) const
{
    for (const auto &h : headers) {
        if (h.first == lowerName)
            return h.second;
    }
    return {};
}

} // namespace SocketIo
