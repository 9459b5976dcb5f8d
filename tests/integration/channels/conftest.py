from tests.integration.channels.webchat import chat, webchat_env

__all__ = ["chat", "webchat_env"]
